// stages.shadow: mirror a share of live traffic to the candidate for a timed window.
import { z } from 'zod';
import { duration, share } from './common-schema';

export const shadowStageSchema = z
  .strictObject({ enabled: z.boolean().default(true), share: share.default(0.5), window: duration().default(600_000) })
  .prefault({});
