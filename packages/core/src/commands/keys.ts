/**
 * Command constructors: keys.
 *
 * @since 0.1.0
 */
export {}
