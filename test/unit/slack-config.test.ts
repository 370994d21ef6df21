// The bot's environment and the plan's Slack block: every problem named at once.
import { LogLevel } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { parsePlan, PlanValidationError } from '../../plan/schema';
import { ConfigError, slackBotConfig } from '../../slack-bot/config';

describe('slackBotConfig', () => {
  it('reads HTTP mode with defaults, and Socket Mode', () => {
    expect(slackBotConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' })).toEqual({
      mode: 'http',
      botToken: 'xoxb-1',
      signingSecret: 's',
      appToken: undefined,
      host: '127.0.0.1',
      port: 3000,
      path: '/slack/events',
      command: '/rollout',
      slackApiUrl: undefined,
      logLevel: LogLevel.INFO,
    });
    expect(
      slackBotConfig({
        SLACK_MODE: 'socket',
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_APP_TOKEN: 'xapp-1',
        SLACK_LOG_LEVEL: 'debug',
      }),
    ).toMatchObject({ mode: 'socket', appToken: 'xapp-1', logLevel: LogLevel.DEBUG });
  });

  it('names every missing or bad variable', () => {
    const http = () => slackBotConfig({ SLACK_PORT: 'eighty', SLACK_EVENTS_PATH: 'events' });
    expect(http).toThrow(ConfigError);
    expect(http).toThrow(
      /SLACK_BOT_TOKEN .* is required[\s\S]*SLACK_SIGNING_SECRET .* is required in HTTP mode[\s\S]*SLACK_PORT must be a port number[\s\S]*SLACK_EVENTS_PATH must start with/,
    );
    expect(() =>
      slackBotConfig({ SLACK_MODE: 'socket', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' }),
    ).toThrow(/SLACK_APP_TOKEN must be an app-level token/);
    expect(() => slackBotConfig({ SLACK_MODE: 'webhook', SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      /SLACK_MODE must be "http" or "socket"/,
    );
  });
});

describe('plan notifications.slack', () => {
  const base = {
    rollout: { id: 'r' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:1/v1', model: 'a' },
      candidate: { baseUrl: 'http://127.0.0.1:2/v1', model: 'b' },
    },
    approvals: { approvers: ['U0ALICE'] },
  };

  it('takes a channel and on-call groups', () => {
    const plan = parsePlan({
      ...base,
      notifications: { slack: { channel: 'C0RELEASES', onCallGroups: ['S0ONCALL'] } },
    });
    expect(plan.notifications.slack).toEqual({ channel: 'C0RELEASES', onCallGroups: ['S0ONCALL'] });
    expect(parsePlan(plan)).toEqual(plan);
  });

  it('refuses group ids that are not Slack user group ids, and channels with spaces', () => {
    const attempt = () =>
      parsePlan({ ...base, notifications: { slack: { channel: 'release owners', onCallGroups: ['oncall'] } } });
    expect(attempt).toThrow(PlanValidationError);
    expect(attempt).toThrow(
      /notifications\.slack\.channel: a Slack channel id[\s\S]*notifications\.slack\.onCallGroups\[0\]: expected a Slack user group id/,
    );
  });
});
