/**
 * Command constructors: bitmaps.
 *
 * @since 0.1.0
 */
export {}
