// The ApplicationFailure types the rollout raises, in one place for the workflow, the activities,
// the retry option sets, the bot's refusals and the tests. The strings are part of the contract:
// recorded histories hold some of them (retry policies) and callers branch on them, so a value is
// never renamed, only added. Pure data, so both workflow and activity code may import it.
export const FailureType = {
  // Workflow start: the plan fails its schema (fails the workflow); golden-eval and shadow activities:
  // the plan names an unknown metric. Non-retryable.
  InvalidPlan: 'InvalidPlan',
  // Approve/reject/revert update validator: `by` is missing, the request is not an object, or a field is not a string or is too long. Rejects the update; non-retryable.
  InvalidDecision: 'InvalidDecision',
  // Approve/reject update validator (and the bot, for a closed workflow): the rollout has ended. Non-retryable.
  RolloutFinished: 'RolloutFinished',
  // Approve/reject update validator: no gate is open. Non-retryable.
  NoOpenGate: 'NoOpenGate',
  // Approve/reject update validator: the open gate already has a decision. Non-retryable.
  GateAlreadyDecided: 'GateAlreadyDecided',
  // Approve/reject update validator: the request names a gate that is no longer the open one. Non-retryable.
  StaleGate: 'StaleGate',
  // Approve/reject update validator: the decider is not one of the plan's approvers. Non-retryable.
  UnauthorizedApprover: 'UnauthorizedApprover',
  // Approve update validator: the requester approving their own rollout. Non-retryable.
  SelfApprovalForbidden: 'SelfApprovalForbidden',
  // Approve update validator: this approver has already approved the open gate, which needs more than one. Non-retryable.
  AlreadyApproved: 'AlreadyApproved',
  // Reject and revert update validators: no reason given. Non-retryable.
  ReasonRequired: 'ReasonRequired',
  // Revert update validator (and the clients): the rollout was not promoted (it is still rolling out, or ended otherwise). Non-retryable.
  NotPromoted: 'NotPromoted',
  // Revert update validator (and the clients, for a closed workflow): the revert window after promotion is over. Non-retryable.
  RevertWindowClosed: 'RevertWindowClosed',
  // Revert update validator: the rollout is already reverted, or a revert is under way. Non-retryable.
  AlreadyReverted: 'AlreadyReverted',
  // Revert activity: the route no longer holds what the promotion left (another rollout or a person changed it), so putting the old baseline back could undo their change. Non-retryable.
  RouteChangedSincePromotion: 'RouteChangedSincePromotion',
  // Traffic and shadow-pair activities: the gateway has no route by that name. Non-retryable; reconciling reads it as "route not defined".
  RouteNotFound: 'RouteNotFound',
  // Traffic activities: the traffic layer refused the request as wrong (gateway 4xx, HAProxy refusal, bad percent). Non-retryable.
  InvalidRouterConfig: 'InvalidRouterConfig',
  // Traffic activities (gateway-api, istio): the HTTPRoute or VirtualService lacks the llm-rollout.io/managed: "true" annotation that hands it to the rollout. Non-retryable.
  RouteNotOwned: 'RouteNotOwned',
  // Traffic activities (gateway-api, istio): the route's weights or mirror differ from what the rollout last wrote (another controller or a person changed them); never overwritten. Non-retryable.
  RouteChangedUnderRollout: 'RouteChangedUnderRollout',
  // Traffic activities: the gateway answered 409 (e.g. weights naming backends the route lacks). Non-retryable.
  RouteConflict: 'RouteConflict',
  // Traffic and shadow-pair activities: the worker has no gateway admin token. Non-retryable.
  MissingAdminToken: 'MissingAdminToken',
  // Traffic, eval and shadow activities: the environment variable holding an API key is unset on the worker. Non-retryable.
  MissingApiKey: 'MissingApiKey',
  // Golden-eval activity: the plan names no dataset, or the dataset is malformed. Non-retryable.
  InvalidDataset: 'InvalidDataset',
  // Notify activity: Slack answered with a permanent error code (e.g. channel_not_found). Non-retryable.
  SlackRefused: 'SlackRefused',
  // Notify activity: the plan's webhook answered 4xx. Non-retryable.
  WebhookRefused: 'WebhookRefused',
  // Notify activity: more than one destination failed; non-retryable only when every failure was.
  NotifyFailed: 'NotifyFailed',
  // Report activity: the worker has no Temporal client to read the rollout's history with. Non-retryable.
  NoTemporalClient: 'NoTemporalClient',
} as const;

export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];
