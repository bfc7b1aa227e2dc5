/**
 * A FIFO with O(1) push/shift and cheap iteration, for the per-connection command queues.
 * `Array#shift` is O(n) on large arrays; this keeps a head index and compacts now and then.
 *
 * @internal
 */
/**
 * A FIFO queue with O(1) `push` and `shift`.
 *
 * @since 0.1.0
 * @category models
 */
export class Fifo<A> {
  private items: Array<A | undefined> = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: A): void {
    this.items.push(item)
  }

  peek(): A | undefined {
    return this.items[this.head]
  }

  shift(): A | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head++
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Removes and returns everything, oldest first. */
  drain(): Array<A> {
    const out = this.items.slice(this.head) as Array<A>
    this.items = []
    this.head = 0
    return out
  }

  forEach(f: (item: A) => void): void {
    for (let i = this.head; i < this.items.length; i++) f(this.items[i] as A)
  }
}
