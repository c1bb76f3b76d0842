// What the job services (coordinator, worker, client, the jobs-topic validator) ask of the mesh's
// authority. MeshAuthority (src/admission/authority.ts) implements it; the jobs code depends only on
// this much so it never reaches into admission.

export interface CoordinatorAuthority {
  isGranted: (peer: string) => boolean
  standing: (peer: string) => { granted: boolean, why: string }
  /** whether an ungranted direct publisher may be charged (see MeshAuthority.mayCharge) */
  mayCharge?: (peer: string, self: string) => boolean
}
