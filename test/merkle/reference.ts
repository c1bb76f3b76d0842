// The reference the Merkle log specs check against: RFC 6962 §2.1 written out naively (MTH, PATH,
// PROOF over the leaf data, no storage), the published Certificate Transparency test vectors, and
// deterministic test leaves; with the hex and base64 helpers the specs share.
import { createHash } from 'node:crypto'

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

// --- RFC 6962 §2.1, word for word, over the leaf data itself (no storage, no cleverness) ---

const sha = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest())
const k = (n: number): number => { let p = 1; while (p * 2 < n) p *= 2; return p }

export function MTH (d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha()
  if (d.length === 1) return sha(Uint8Array.of(0), d[0])
  const s = k(d.length)
  return sha(Uint8Array.of(1), MTH(d.slice(0, s)), MTH(d.slice(s)))
}

export function PATH (m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return []
  const s = k(d.length)
  return m < s ? [...PATH(m, d.slice(0, s)), MTH(d.slice(s))] : [...PATH(m - s, d.slice(s)), MTH(d.slice(0, s))]
}

function SUBPROOF (m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [MTH(d)]
  const s = k(d.length)
  return m <= s
    ? [...SUBPROOF(m, d.slice(0, s), b), MTH(d.slice(s))]
    : [...SUBPROOF(m - s, d.slice(s), false), MTH(d.slice(0, s))]
}

export const PROOF = (m: number, d: Uint8Array[]): Uint8Array[] => (m === 0 || m === d.length ? [] : SUBPROOF(m, d, true))

// --- the Certificate Transparency reference vectors (also in transparency-dev/merkle's tests) ---

export const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex)
export const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'
]
export const CT_INCLUSION: Array<{ index: number, size: number, path: string[] }> = [
  { index: 0, size: 1, path: [] },
  { index: 0, size: 8, path: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, path: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, path: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] }
]
export const CT_CONSISTENCY: Array<{ old: number, size: number, proof: string[] }> = [
  { old: 1, size: 1, proof: [] },
  { old: 1, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { old: 6, size: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { old: 2, size: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] }
]

/** The 8 CT leaves, then deterministic leaves of varied length. */
export function testLeaves (n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => (i < CT_LEAVES.length ? CT_LEAVES[i] : sha(Uint8Array.of(i & 0xff, i >> 8)).subarray(0, i % 33)))
}
