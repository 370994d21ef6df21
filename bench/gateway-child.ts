// One gateway process for bench:gateway, started as a child so the bench's own event loop never
// shares the gateway's CPU: route `bench-chat` → backend `primary` (the static upstream, 100 %),
// plus a second entry `mirror` on the same upstream that receives a share of shadow copies when
// `--shadow-share` > 0. Exits cleanly on SIGTERM (so `node --cpu-prof` can write its profile).
//
//   node --import tsx bench/gateway-child.ts --port 18080 --upstream http://127.0.0.1:8081/v1 [--shadow-share 0.5]
import { parseArgs } from 'node:util';
import { startGateway } from '../gateway/server';
import { BENCH_ROUTE } from './gateway-route';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    upstream: { type: 'string' },
    'shadow-share': { type: 'string', default: '0' },
  },
  strict: true,
});
const port = Number(values.port);
const share = Number(values['shadow-share']);
if (!Number.isInteger(port) || port < 1 || !values.upstream || !(share >= 0 && share <= 1)) {
  console.error('usage: gateway-child --port N --upstream URL [--shadow-share 0..1]');
  process.exit(2);
}

const gateway = await startGateway({
  port,
  routes: {
    [BENCH_ROUTE]: {
      backends: [
        { name: 'primary', baseUrl: values.upstream, model: 'static' },
        { name: 'mirror', baseUrl: values.upstream, model: 'static-mirror' },
      ],
    },
  },
});
if (share > 0) gateway.routes.setShadow(BENCH_ROUTE, { enabled: true, target: 'mirror', share });
console.log(`gateway-child listening on ${gateway.url} (shadow share ${share})`);

const stop = () => {
  gateway.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
