// A live (or mirrored) answer the gateway kept, with the request it answered, as the canary's
// behavioral check reads it (GET /admin/routes/:route/answer-samples): the wire shape both sides
// agree on. Only successful chat answers with text are kept; the per-request records say the rest.

export interface AnswerSample {
  seq: number;
  /** The gateway process that kept it (seqs restart in every process). */
  epoch: string;
  requestId: string;
  route: string;
  /** Role name within the route ('baseline', 'candidate'). */
  backend: string;
  model: string;
  mode: 'live' | 'shadow';
  status: number;
  /** The request's last user message, cut to the gateway's request cap. */
  request: string;
  /** The answer's text; when longer than the cap, its start and its end (openings and closings stay exact). */
  answer: string;
  /** The answer was longer than the cap and `answer` is cut. */
  cut: boolean;
  /** The pool member that answered, when the backend is a pool (BackendSpec.members); absent otherwise. */
  member?: string;
  at: string;
}
