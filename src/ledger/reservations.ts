// Credits held for queued and running jobs, so an account cannot promise the same credits to two jobs.

export class Reservations {
  /** credits held for queued and running jobs, by job id */
  private readonly reserved = new Map<string, { account: string, price: bigint }>()
  private readonly reservedByAccount = new Map<string, bigint>()

  /** the price held for `jobId`, if it is held */
  price (jobId: string): bigint | undefined { return this.reserved.get(jobId)?.price }

  /** credits held for `account`'s queued and running jobs, and how many jobs they are */
  holds (account: string): { credits: bigint, jobs: number } {
    let jobs = 0
    for (const r of this.reserved.values()) if (r.account === account) jobs++
    return { credits: this.held(account), jobs }
  }

  /** credits held for `account` */
  held (account: string): bigint { return this.reservedByAccount.get(account) ?? 0n }

  hold (jobId: string, owner: string, price: bigint): void {
    if (this.reserved.has(jobId)) return
    this.reserved.set(jobId, { account: owner, price })
    this.reservedByAccount.set(owner, (this.reservedByAccount.get(owner) ?? 0n) + price)
  }

  release (jobId: string): void {
    const r = this.reserved.get(jobId)
    if (r == null) return
    this.reserved.delete(jobId)
    this.reservedByAccount.set(r.account, (this.reservedByAccount.get(r.account) ?? 0n) - r.price)
  }
}
