/**
 * Command constructors: server.
 *
 * @since 0.1.0
 */
export {}
