// `npm run slack-bot`: the rollout Slack bot as its own process. Slack settings from SLACK_*
// variables (slack-bot/config.ts), Temporal from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE /
// TEMPORAL_UI_URL or the running embedded stack. SIGINT/SIGTERM stop it.
import { Client, Connection } from '@temporalio/client';
import { temporalConfig } from '../workers/config';
import { startRolloutBot } from './bot';
import { ConfigError, slackBotConfig } from './config';

async function main(): Promise<void> {
  const config = slackBotConfig();
  const temporal = temporalConfig();
  const connection = await Connection.connect({ address: temporal.address, connectTimeout: '5s' }).catch((error: unknown) => {
    throw new ConfigError(`cannot reach Temporal at ${temporal.address} (${(error as Error).message}); set TEMPORAL_ADDRESS or start \`rollout up\``);
  });
  const bot = await startRolloutBot({
    temporal: new Client({ connection, namespace: temporal.namespace }),
    namespace: temporal.namespace,
    temporalUiUrl: temporal.uiUrl,
    botToken: config.botToken,
    mode: config.mode,
    signingSecret: config.signingSecret,
    appToken: config.appToken,
    slackApiUrl: config.slackApiUrl,
    host: config.host,
    port: config.port,
    path: config.path,
    command: config.command,
    logLevel: config.logLevel,
  });
  console.log(config.mode === 'http' ? `rollout Slack bot: request URL ${bot.url} (Temporal ${temporal.address}, namespace ${temporal.namespace})` : `rollout Slack bot connected in Socket Mode (Temporal ${temporal.address}, namespace ${temporal.namespace})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bot.stop();
  await connection.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
