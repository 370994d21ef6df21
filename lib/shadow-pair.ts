// A mirrored request's two answers, as the gateway keeps them and the shadow comparison reads them
// (GET /admin/routes/:route/shadow-pairs): the wire shape both sides agree on.

export interface ShadowAnswer {
  backend: string;
  status: number;
  latencyMs: number;
  content: string | null;
  promptTokens: number;
  completionTokens: number;
  /** The pool member that answered, when the backend is a pool; absent otherwise. */
  member?: string;
}

export interface ShadowPair {
  seq: number;
  epoch: string;
  requestId: string;
  route: string;
  messages: Array<{ role: string; content: string }>;
  primary: ShadowAnswer;
  shadow: ShadowAnswer;
  at: string;
}
