// "did you mean ...?" for a mistyped command, subcommand or option.

/** Levenshtein distance, enough for words of a few dozen characters. */
function distance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}

/** The closest of `known` to `word`, if it is close enough to be what was meant. */
export function closest (word: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const k of known) {
    // a prefix ("stat" for "status") is a better guess than one typo ("start")
    const d = k.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, k)
    if (d < bestD) { best = k; bestD = d }
  }
  return best != null && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined
}

export function didYouMean (word: string, known: Iterable<string>, prefix = ''): string {
  const c = closest(word, known)
  return c != null ? ` (did you mean ${prefix}${c}?)` : ''
}
