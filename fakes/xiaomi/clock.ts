/** A clock the test moves by hand, so a five-minute code expiry takes no time to test. */
export class ManualClock {
  constructor(private time = Date.UTC(2025, 0, 1)) {}

  readonly now = (): number => this.time;

  advance(ms: number): void {
    this.time += ms;
  }

  set(time: number): void {
    this.time = time;
  }
}
