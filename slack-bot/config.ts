// The bot's configuration, from environment variables (documented in the README, "Slack and
// incidents"). Every problem is reported at once, naming the variable.
import { LogLevel } from '@slack/bolt';

export interface SlackBotConfig {
  mode: 'http' | 'socket';
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  host: string;
  port: number;
  path: string;
  command: string;
  slackApiUrl?: string;
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LEVELS: Record<string, LogLevel> = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

export function slackBotConfig(env: NodeJS.ProcessEnv = process.env): SlackBotConfig {
  const problems: string[] = [];
  const value = (name: string) => env[name]?.trim() || undefined;
  const mode = (value('SLACK_MODE') ?? 'http').toLowerCase();
  if (mode !== 'http' && mode !== 'socket')
    problems.push(`SLACK_MODE must be "http" or "socket", got ${JSON.stringify(mode)}`);
  const botToken = value('SLACK_BOT_TOKEN');
  if (!botToken) problems.push('SLACK_BOT_TOKEN (the bot token, xoxb-…) is required');
  const signingSecret = value('SLACK_SIGNING_SECRET');
  const appToken = value('SLACK_APP_TOKEN');
  if (mode === 'http' && !signingSecret)
    problems.push('SLACK_SIGNING_SECRET (Basic Information → Signing Secret) is required in HTTP mode');
  if (mode === 'socket' && !appToken)
    problems.push('SLACK_APP_TOKEN (an app-level token, xapp-…, with connections:write) is required in Socket Mode');
  if (mode === 'socket' && appToken && !appToken.startsWith('xapp-'))
    problems.push('SLACK_APP_TOKEN must be an app-level token (xapp-…)');
  const port = Number(value('SLACK_PORT') ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push(`SLACK_PORT must be a port number, got ${JSON.stringify(value('SLACK_PORT'))}`);
  const path = value('SLACK_EVENTS_PATH') ?? '/slack/events';
  if (!path.startsWith('/')) problems.push('SLACK_EVENTS_PATH must start with "/"');
  const command = value('SLACK_COMMAND') ?? '/rollout';
  if (!command.startsWith('/')) problems.push('SLACK_COMMAND must start with "/"');
  const level = (value('SLACK_LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LEVELS[level]) problems.push(`SLACK_LOG_LEVEL must be one of ${Object.keys(LEVELS).join(', ')}`);
  const slackApiUrl = value('SLACK_API_URL');
  if (slackApiUrl && !/^https?:\/\//.test(slackApiUrl)) problems.push('SLACK_API_URL must be an http(s) URL');
  if (problems.length > 0)
    throw new ConfigError(`slack bot configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return {
    mode: mode as 'http' | 'socket',
    botToken: botToken!,
    signingSecret,
    appToken,
    host: value('SLACK_HOST') ?? '127.0.0.1',
    port,
    path,
    command,
    slackApiUrl,
    logLevel: LEVELS[level]!,
  };
}
