// The 200-item support golden dataset (examples/golden/support-bot-200.jsonl), generated: 20
// topics × 10 phrasings; two items in five ask for JSON (checked against a schema), two in five
// for prose (checked by a regex: at least eight words), one in five is checked by the judge only.
// Two topics mention refunds (the simulator's topic-refusal regression refuses those 20 items).
//   npx tsx bench/eval-dataset.ts   rewrites the file
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATASET_200 = resolve(dirname(fileURLToPath(import.meta.url)), '../examples/golden/support-bot-200.jsonl');

const TOPICS = [
  'reset my password',
  'get a refund for a duplicate charge',
  'export my data to CSV',
  'add a teammate to my workspace',
  'downgrade my plan in the middle of a billing cycle',
  'enable two-factor authentication',
  'change my shipping address',
  'cancel my subscription',
  'update the billing email on my account',
  'recover a deleted project',
  'stop the Android app from crashing on the reports tab',
  'request a refund for an annual plan',
  'keep my data stored in the EU region',
  'transfer ownership of a workspace',
  'set up single sign-on for my company',
  'track an order that arrived late',
  'read my usage for the current period',
  'change what each member of my workspace can do',
  'get a copy of last month’s invoice',
  'report a security issue',
];

const PHRASINGS = [
  'How do I {t}?',
  'Can you explain how to {t}?',
  'What are the steps to {t}?',
  'I need to {t}. What should I do?',
  'Summarize what a customer must know to {t}.',
  'Write a short reply to a customer who wants to {t}.',
  'Is it possible to {t} from the mobile app?',
  'What happens to my account when I {t}?',
  'Give me a checklist to {t}.',
  'Explain to a new support agent how customers {t}.',
];

const SYSTEM = 'You are a concise, friendly customer-support assistant.';
const JSON_INSTRUCTION =
  'Respond only with a JSON object with fields "answer" (string) and "confidence" (number between 0 and 1).';
const SCHEMA = {
  type: 'object',
  required: ['answer', 'confidence'],
  properties: { answer: { type: 'string', minLength: 1 }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
};

export function supportDataset200(): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  PHRASINGS.forEach((phrasing, p) =>
    TOPICS.forEach((topic, t) => {
      const index = p * TOPICS.length + t;
      const question = phrasing.replace('{t}', topic);
      const kind = ['json', 'json', 'prose', 'prose', 'open'][index % 5]!;
      const id = `support200-${String(index + 1).padStart(3, '0')}`;
      const tags = ['support', kind, `topic-${t + 1}`];
      const messages = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: kind === 'json' ? `${question} ${JSON_INSTRUCTION}` : question },
      ];
      if (kind === 'json') items.push({ id, messages, tags, schema: SCHEMA });
      else if (kind === 'prose') items.push({ id, messages, tags, expected: '(\\b\\w+\\b\\W*){8,}', match: 'regex' });
      else items.push({ id, messages, tags });
    }),
  );
  return items;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(
    DATASET_200,
    `${supportDataset200()
      .map((item) => JSON.stringify(item))
      .join('\n')}\n`,
  );
  console.log(`wrote ${DATASET_200}`);
}
