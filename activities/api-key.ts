// API keys stay out of workflow history: the plan names an environment variable and the activity
// reads it on the worker. One reader for the backends, the LLM judge and the embeddings endpoint.
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../workflows/failure-types';

/** The key in `apiKeyEnv` (undefined when the plan names none); a named but unset variable is a clear, final error. */
export function apiKeyFrom(
  apiKeyEnv: string | undefined,
  what: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!apiKeyEnv) return undefined;
  const key = env[apiKeyEnv];
  if (!key)
    throw ApplicationFailure.nonRetryable(
      `environment variable ${apiKeyEnv} (API key for ${what}) is not set on the worker`,
      FailureType.MissingApiKey,
    );
  return key;
}
