/**
 * Command constructors: sets.
 *
 * @since 0.1.0
 */
export {}
