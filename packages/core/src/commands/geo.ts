/**
 * Command constructors: geo.
 *
 * @since 0.1.0
 */
export {}
