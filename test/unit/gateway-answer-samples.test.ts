// The gateway's answer samples: which answers are kept (every k-th per route and backend, only
// successful chat answers with text), how they are cut, how they page (the records' contract), and
// that a worker's batch carries them to the primary whole.
import { describe, expect, it } from 'vitest';
import { AnswerSampler, cutAnswer, type NewAnswerSample, type SampledExchange } from '../../gateway/answer-sampler';
import { parseWorkerConfig, parseWorkerMessage } from '../../gateway/cluster-messages';
import { TrafficBatcher, type TrafficBatch } from '../../gateway/traffic-batch';
import { TrafficLog } from '../../gateway/traffic-log';
import { answerSamplingOf } from '../../gateway/server';

function exchange(n: number, overrides: Partial<SampledExchange> = {}): SampledExchange {
  return {
    route: 'chat',
    backend: { name: n % 2 === 0 ? 'baseline' : 'candidate', model: 'm' },
    mode: 'live',
    requestId: `r-${n}`,
    status: 200,
    answer: { content: `answer ${n}`, promptTokens: 3, completionTokens: 2, refusal: false, validJson: null },
    body: {
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: `question ${n}` },
      ],
    },
    at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const settings = { every: 1, maxAnswerChars: 2_000, maxRequestChars: 500 };

describe('AnswerSampler', () => {
  it('keeps every k-th answer of each backend of each route, with the last user message', () => {
    const kept: NewAnswerSample[] = [];
    const sampler = new AnswerSampler({ addSample: (s) => kept.push(s) }, { ...settings, every: 3 });
    for (let n = 0; n < 12; n++) sampler.offer(exchange(n));
    // Six answers per backend: the 3rd and the 6th of each.
    expect(kept.map((s) => s.requestId)).toEqual(['r-4', 'r-5', 'r-10', 'r-11']);
    expect(kept[0]).toMatchObject({ backend: 'baseline', request: 'question 4', answer: 'answer 4', cut: false });
    for (let n = 0; n < 3; n++) sampler.offer(exchange(100, { route: 'other', requestId: `o-${n}` }));
    expect(kept.at(-1)).toMatchObject({ route: 'other', requestId: 'o-2' });
  });

  it('keeps no failed, empty or textless answer, and does not count it', () => {
    const kept: NewAnswerSample[] = [];
    const sampler = new AnswerSampler({ addSample: (s) => kept.push(s) }, settings);
    sampler.offer(exchange(0, { status: 502 }));
    sampler.offer(exchange(0, { answer: { ...exchange(0).answer, content: null } }));
    sampler.offer(exchange(0, { answer: { ...exchange(0).answer, content: '' } }));
    expect(kept).toEqual([]);
    sampler.offer(exchange(0));
    expect(kept).toHaveLength(1);
  });

  it('cuts a long answer to its start and end within the cap, and says so', () => {
    const long = `As far as I can tell, ${'word '.repeat(1_000)}the end.`;
    const { text, cut } = cutAnswer(long, 400);
    expect(cut).toBe(true);
    expect(text.length).toBeLessThanOrEqual(400);
    expect(text.startsWith('As far as I can tell,')).toBe(true);
    expect(text.endsWith('the end.')).toBe(true);
    expect(cutAnswer('short', 400)).toEqual({ text: 'short', cut: false });
    expect(() => new AnswerSampler({ addSample: () => {} }, { ...settings, every: 0 })).toThrow(/every/);
  });

  it('is off when the options say every 0, on (every answer) by default', () => {
    expect(answerSamplingOf({ answerSampleEvery: 0 })).toBeNull();
    expect(answerSamplingOf({})).toMatchObject({ every: 1 });
    expect(answerSamplingOf({ answerSampleEvery: 4, answerSampleChars: 100 })).toMatchObject({
      every: 4,
      maxAnswerChars: 100,
    });
  });
});

describe('answer samples in the traffic log', () => {
  it('page per route with seq and epoch, lost and restarted as records do', () => {
    const log = new TrafficLog({ answerSamples: 3, epoch: 'e1' });
    const sampler = new AnswerSampler(log, settings);
    for (let n = 0; n < 4; n++) sampler.offer(exchange(n));
    sampler.offer(exchange(9, { route: 'other' }));
    const page = log.samplesFor('chat', 0, 10);
    // Capacity 3: the first two are gone.
    expect(page.items.map((s) => [s.seq, s.requestId])).toEqual([
      [3, 'r-2'],
      [4, 'r-3'],
    ]);
    expect(page).toMatchObject({ epoch: 'e1', lost: 2, restarted: false, nextSince: 5 });
    expect(log.samplesFor('chat', 3, 10).items.map((s) => s.seq)).toEqual([4]);
    expect(log.samplesFor('chat', 4, 10, 'another-process')).toMatchObject({ restarted: true });
    expect(log.samplesFor('chat', 4, 10, 'another-process').items.map((s) => s.seq)).toEqual([3, 4]);
  });
});

describe('answer samples across processes', () => {
  it("ride in a worker's batch and arrive as the one-process gateway keeps them", () => {
    const sent: TrafficBatch[] = [];
    const batcher = new TrafficBatcher((batch) => sent.push(batch));
    const direct = new TrafficLog({ epoch: 'e1' });
    new AnswerSampler(direct, settings).offer(exchange(1));
    new AnswerSampler(batcher, settings).offer(exchange(1));
    batcher.flush();
    const message = parseWorkerMessage(JSON.parse(JSON.stringify({ type: 'traffic', ...sent[0]! })));
    expect(message?.type).toBe('traffic');
    const primary = new TrafficLog({ epoch: 'e1' });
    if (message?.type === 'traffic') for (const s of message.samples) primary.addSample(s);
    expect(primary.samplesFor('chat', 0, 10).items).toEqual(direct.samplesFor('chat', 0, 10).items);
    // A batch from a worker that keeps no samples may leave them out.
    expect(parseWorkerMessage({ type: 'traffic', exchanges: [], pairs: [] })).toMatchObject({ samples: [] });
  });

  it("are configured in the worker's settings", () => {
    const config = { upstreamTimeoutMs: 1_000, maxBodyBytes: 1_000, answerSampling: settings };
    expect(parseWorkerConfig(JSON.stringify(config)).answerSampling).toEqual(settings);
    expect(() => parseWorkerConfig(JSON.stringify({ ...config, answerSampling: { every: 0 } }))).toThrow(
      /answerSampling\.every/,
    );
  });
});
