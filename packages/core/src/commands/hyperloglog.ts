/**
 * Command constructors: hyperloglog.
 *
 * @since 0.1.0
 */
export {}
