// Built-in prompts for the load generator: the kind of support and summarisation traffic the
// example rollouts ship models for. Varied in length and intent so token counts vary too.

export const LOAD_SYSTEM_PROMPT = 'You are a concise, friendly customer-support assistant for a SaaS product.';

export const LOAD_PROMPTS: readonly string[] = [
  'I was charged twice for my subscription this month. Can you help me get a refund for the duplicate charge?',
  'How do I reset my password if I no longer have access to the email address on my account?',
  'Summarize this ticket for the on-call engineer: customer reports that CSV exports time out for workspaces with more than 50,000 rows since Tuesday; retrying does not help; they need the data for an audit on Friday.',
  'Can I downgrade from the Business plan to the Team plan in the middle of a billing cycle, and what happens to the extra seats?',
  'Write a short, polite reply to a customer who is frustrated that their order arrived two weeks late.',
  'Summarize the key points of this meeting: we agreed to move the launch to May 12, marketing needs final screenshots by April 30, and support will publish the FAQ one week before launch.',
  'What is the difference between an admin and an owner role in a shared workspace?',
  'My two-factor authentication codes stopped working after I changed phones. What should I do?',
  'Give me a one-paragraph summary of our refund policy for annual plans.',
  'A customer asks whether we store their data in the EU. Draft an answer that mentions data residency options.',
  'The mobile app crashes when I open the reports tab on Android 14. Is this a known issue?',
  'Summarize this customer feedback in three bullet points: the new dashboard is faster, but the filters are hard to find and the dark mode has low contrast.',
];

export const LOAD_JSON_INSTRUCTION =
  'Respond only with a JSON object with fields "answer" (string) and "confidence" (number between 0 and 1).';
