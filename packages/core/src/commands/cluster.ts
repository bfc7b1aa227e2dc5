/**
 * Command constructors: cluster.
 *
 * @since 0.1.0
 */
export {}
