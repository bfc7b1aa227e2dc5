/**
 * Command constructors: connection.
 *
 * @since 0.1.0
 */
export {}
