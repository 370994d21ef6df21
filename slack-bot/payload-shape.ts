// What Bolt reads from a request before any listener runs (helpers.getTypeAndConversation and
// App.buildSource): the payload itself, `event`, `channel`, `user`, `team`, `enterprise`, `view`.
// Bolt reads them unchecked, so a correctly signed payload missing one (`payload=null`, a
// view_submission without `view`) threw inside Bolt and was answered 500, which Slack retries.
// Such a payload is refused with 400 naming the field instead. Bodies Bolt cannot parse at all
// are left to Bolt, which answers those 400 itself.
import { parse } from 'node:querystring';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const objectOrAbsent = (value: unknown) => value === undefined || isObject(value);
const objectNullOrAbsent = (value: unknown) => value === undefined || value === null || isObject(value);

/** The first field Bolt would fail to read in this (already verified) body, or null. */
export function unreadablePayloadField(body: string, contentType: string | undefined): string | null {
  const payload = parsedAsBoltDoes(body, contentType);
  if (payload === undefined) return null;
  if (!isObject(payload)) return 'payload';
  if (payload.event !== undefined) {
    const event = payload.event;
    if (!isObject(event)) return 'event';
    if (event.item !== undefined && !isObject(event.item)) return 'event.item';
    if (event.channel !== undefined && typeof event.channel !== 'string' && !isObject(event.channel))
      return 'event.channel';
    if (event.subteam !== undefined && !isObject(event.subteam)) return 'event.subteam';
    if (event.user !== undefined && typeof event.user !== 'string' && !isObject(event.user)) return 'event.user';
    return null;
  }
  if (payload.command !== undefined) return null;
  const interactive =
    payload.name !== undefined ||
    payload.actions !== undefined ||
    ['block_suggestion', 'dialog_submission', 'shortcut', 'message_action', 'view_submission', 'view_closed'].includes(
      payload.type as string,
    );
  if (!interactive) return null;
  if (!isObject(payload.user)) return 'user';
  if (!objectNullOrAbsent(payload.team)) return 'team';
  if (!objectNullOrAbsent(payload.enterprise)) return 'enterprise';
  if (!objectOrAbsent(payload.channel)) return 'channel';
  if ((payload.type === 'view_submission' || payload.type === 'view_closed') && !isObject(payload.view)) return 'view';
  return null;
}

/** The body as Bolt's HTTP receiver parses it; undefined when it cannot (Bolt refuses those itself). */
function parsedAsBoltDoes(body: string, contentType: string | undefined): unknown {
  try {
    // As HTTPModuleFunctions.parseHTTPRequestBody: this exact content type is a form, anything else JSON.
    if (contentType !== 'application/x-www-form-urlencoded') return JSON.parse(body) as unknown;
    const form = parse(body);
    return typeof form.payload === 'string' ? (JSON.parse(form.payload) as unknown) : form;
  } catch {
    return undefined;
  }
}
