// Search attributes that make rollouts listable and filterable in the Temporal UI and CLI, e.g.
//   temporal workflow list --query "RolloutStage = 'canary-2' AND CandidateModel = 'llama-3.1-70b'"
// The dev-server start script registers exactly these (see stack/embedded-stack.ts).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ROLLOUT_STAGE = defineSearchAttributeKey('RolloutStage', SearchAttributeType.KEYWORD);
export const ROLLOUT_OUTCOME = defineSearchAttributeKey('RolloutOutcome', SearchAttributeType.KEYWORD);
export const CANDIDATE_MODEL = defineSearchAttributeKey('CandidateModel', SearchAttributeType.KEYWORD);
export const BASELINE_MODEL = defineSearchAttributeKey('BaselineModel', SearchAttributeType.KEYWORD);

export const ROLLOUT_SEARCH_ATTRIBUTES = [ROLLOUT_STAGE, ROLLOUT_OUTCOME, CANDIDATE_MODEL, BASELINE_MODEL];
