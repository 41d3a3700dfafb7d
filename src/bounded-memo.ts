/**
 * The last `kept` answers of a pure computation, by key, oldest out first. Keys longer than
 * `maxKeyLength` characters are computed every time, so what it holds stays small whatever
 * callers send.
 */
export class BoundedMemo<T> {
  private readonly answers = new Map<string, T>();

  constructor(
    private readonly kept: number,
    private readonly maxKeyLength: number,
  ) {}

  get(key: string, compute: () => T): T {
    if (this.answers.has(key)) return this.answers.get(key) as T;
    const answer = compute();
    if (key.length <= this.maxKeyLength) {
      if (this.answers.size >= this.kept) this.answers.delete(this.answers.keys().next().value as string);
      this.answers.set(key, answer);
    }
    return answer;
  }
}
