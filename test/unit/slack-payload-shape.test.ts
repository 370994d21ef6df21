// The fields Bolt reads before any listener, checked so a signed payload missing one is a 400
// naming it (slack-bot/payload-shape.ts) rather than a TypeError inside Bolt answered 500.
import { describe, expect, it } from 'vitest';
import { unreadablePayloadField } from '../../slack-bot/payload-shape';

const FORM = 'application/x-www-form-urlencoded';
const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
const user = { id: 'U0A', team_id: 'T0A' };

describe('unreadablePayloadField', () => {
  it.each([
    ['a payload that is null', form(null), 'payload'],
    ['a payload that is an array', form([1]), 'payload'],
    ['a view_submission without a view', form({ type: 'view_submission', user }), 'view'],
    ['block_actions without a user', form({ type: 'block_actions', actions: [] }), 'user'],
    ['a team that is a string', form({ type: 'shortcut', user, team: 'T0A' }), 'team'],
    ['a channel that is null', form({ actions: [], user, channel: null }), 'channel'],
    ['an event that is a number', form({ event: 5 }), 'event'],
  ])('names the field of %s', (_what, body, field) => {
    expect(unreadablePayloadField(body, FORM)).toBe(field);
  });

  it.each([
    ['a slash command', 'command=%2Frollout&text=help&user_id=U0A', FORM],
    [
      'a full block_actions payload',
      form({ type: 'block_actions', actions: [], user, team: null, channel: { id: 'C' } }),
      FORM,
    ],
    ['a full view_submission', form({ type: 'view_submission', user, view: { id: 'V' } }), FORM],
    ['a body Bolt cannot parse (Bolt answers it)', 'payload=%7Bnot-json', FORM],
    ['JSON of an unknown kind', '{"type":"url_verification","challenge":"c"}', 'application/json'],
  ])('passes %s', (_what, body, type) => {
    expect(unreadablePayloadField(body, type)).toBeNull();
  });
});
