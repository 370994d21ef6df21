// notifications: where rollout events go.
import { z } from 'zod';
import { httpUrl } from './common-schema';

export const notificationsSchema = z
  .strictObject({
    /** POSTs each rollout event as JSON. */
    webhookUrl: httpUrl.optional(),
    slack: z.strictObject({ channel: z.string().min(1) }).optional(),
    /** Link target for the rollout in the Temporal UI, e.g. http://127.0.0.1:8233 */
    temporalUiUrl: httpUrl.optional(),
  })
  .prefault({});
