// Typed progress events of submit and wait (the ecosystem's `onProgress` convention, as in Helia).
import type { ProgressEvent, ProgressOptions } from 'progress-events'

export type SubmitProgressEvents =
  /** the spec is built and signed with the node's key */
  ProgressEvent<'edgecoder:submit:signed', { executor: string }> |
  ProgressEvent<'edgecoder:submit:sending', { coordinator: string }> |
  /** a coordinator refused it; the next one is tried unless the spec itself is bad */
  ProgressEvent<'edgecoder:submit:refused', { coordinator: string, error: string }> |
  ProgressEvent<'edgecoder:submit:accepted', { jobId: string, coordinator: string }>

export type SubmitProgressOptions = ProgressOptions<SubmitProgressEvents>
