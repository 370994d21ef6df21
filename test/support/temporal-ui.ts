// The Temporal Web UI driven as a person uses it, in headless Chromium: the Start Workflow form,
// More Actions → Signal / Update, the Queries tab and the workflow list's raw query box. The UI
// renders some controls twice (one hidden per layout), so every action picks the visible one. It
// long-polls, so nothing here waits for the network to go quiet; each step waits for what a person
// would see instead.
import { readFile } from 'node:fs/promises';
import type { ElementHandle, Page } from 'puppeteer-core';
import { isDeepStrictEqual } from 'node:util';
import { eventually } from './eventually';

const STEP_TIMEOUT_MS = 30_000;

export class TemporalUi {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
    readonly namespace = 'default',
  ) {}

  private url(path: string): string {
    return `${this.baseUrl}/namespaces/${encodeURIComponent(this.namespace)}${path}`;
  }

  /** The first visible element for the selector, waiting for one to appear. */
  async visible(selector: string, what = selector): Promise<ElementHandle> {
    return eventually(
      `${what} visible`,
      async () => {
        for (const handle of await this.page.$$(selector)) if (await handle.isVisible()) return handle;
        return undefined;
      },
      STEP_TIMEOUT_MS,
    );
  }

  async click(selector: string, what?: string): Promise<void> {
    await (await this.visible(selector, what)).click();
  }

  /** Types JSON into a CodeMirror editor key by key, as a person does, and checks it reads back whole. */
  async typeJson(selector: string, data: unknown): Promise<void> {
    const editor = await this.visible(selector);
    await editor.click();
    // The editor closes brackets and quotes as they are typed, and steps over the closing ones.
    await editor.type(JSON.stringify(data));
    const typed = await editor.evaluate((element) => element.textContent ?? '');
    if (!isDeepStrictEqual(JSON.parse(typed), data)) throw new Error(`the editor holds ${typed}, not what was typed`);
  }

  /** Start Workflow: id, task queue, type, and the input uploaded from a JSON file. */
  async startWorkflow(form: { workflowId: string; taskQueue: string; workflowType: string; inputFile: string }) {
    await this.page.goto(this.url('/workflows/start-workflow'), { waitUntil: 'domcontentloaded' });
    await (await this.visible('#workflowId', 'the Workflow ID field')).type(form.workflowId);
    await (await this.visible('#taskQueue', 'the Task Queue field')).type(form.taskQueue);
    await (await this.visible('#workflowType', 'the Workflow Type field')).type(form.workflowType);
    const upload = await this.page.waitForSelector('input[type="file"][accept=".json"]', { timeout: STEP_TIMEOUT_MS });
    await (upload as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(form.inputFile);
    // The uploaded JSON shows in the Input editor before the form is sent.
    const expected = JSON.parse(await readFile(form.inputFile, 'utf8')) as { plan: { rollout: { id: string } } };
    await eventually(
      'the uploaded input in the editor',
      async () => ((await this.pageText()).includes(expected.plan.rollout.id) ? true : undefined),
      STEP_TIMEOUT_MS,
    );
    await this.click('[data-testid="start-workflow-button"]', 'Start Workflow');
    await this.waitForText('Workflow started successfully');
  }

  async openWorkflow(workflowId: string): Promise<void> {
    await this.page.goto(this.url(`/workflows/${encodeURIComponent(workflowId)}`), { waitUntil: 'domcontentloaded' });
    await this.visible('[aria-controls="workflow-actions"]', 'More Actions');
  }

  /** More Actions → Signal or Update: the name from the list the worker reports, the JSON typed as Data. */
  async send(kind: 'signal' | 'update', workflowId: string, name: string, data: unknown): Promise<void> {
    await this.openWorkflow(workflowId);
    await this.click('[aria-controls="workflow-actions"]', 'More Actions');
    await this.click(`[data-testid="${kind}-button"]`, `More Actions → ${kind}`);
    const modal = `#${kind}-confirmation-modal`;
    await this.click(`${modal} [data-testid="${kind}-select-button"]`, `the ${kind} name list`);
    await this.pick(`${modal} li[role="option"]`, name, `${name} in the ${kind} name list`);
    await this.typeJson(`${modal} [aria-label="Data"]`, data);
    // On the element itself: the dialog grows as the Data editor fills, moving the button under a click aimed at it.
    const submit = await this.visible(`${modal} [data-testid="confirm-modal-button"]:not([disabled])`, 'Submit');
    await submit.evaluate((button) => (button as unknown as { click(): void }).click());
    await eventually(
      `the ${kind} dialog closed`,
      async () => ((await this.page.$$eval(`${modal}[open]`, (open) => open.length)) === 0 ? true : undefined),
      STEP_TIMEOUT_MS,
    );
  }

  /**
   * Queries tab → the query → Run Query; returns the answer parsed. The answer is read unformatted
   * in a window tall enough to hold all of it: its editor draws only the lines in view, as a person
   * scrolling through it would see them.
   */
  async query<T>(workflowId: string, name: string): Promise<T> {
    await this.openWorkflow(workflowId);
    await this.click('#queries-tab', 'the Queries tab');
    await this.click('[data-testid="query-select-button"]', 'Query Type');
    await this.pick('#query-select-select li[role="option"]', name, `${name} in Query Type`);
    const formatting = await this.visible('#json-formatting', 'JSON Formatting');
    if (await formatting.evaluate((toggle) => (toggle as unknown as { checked: boolean }).checked)) {
      await formatting.evaluate((toggle) => (toggle as unknown as { click(): void }).click());
    }
    const viewport = this.page.viewport();
    await this.page.setViewport({ width: viewport?.width ?? 1400, height: 20_000 });
    try {
      await this.clickButton(/^(Run|Refresh) Query$/);
      return await eventually(
        `the ${name} query's answer`,
        async () => {
          const shown = await this.page.$$eval('[data-testid="query-result"] .cm-line', (lines) =>
            lines.map((line) => line.textContent ?? '').join(''),
          );
          try {
            return shown ? (JSON.parse(shown) as T) : undefined;
          } catch {
            return undefined; // still being drawn
          }
        },
        STEP_TIMEOUT_MS,
      );
    } finally {
      if (viewport) await this.page.setViewport(viewport);
    }
  }

  /** Clicks the visible option labelled `label` in a list already open. */
  async pick(optionSelector: string, label: string, what: string): Promise<void> {
    const option = await eventually(
      what,
      async () => {
        for (const handle of await this.page.$$(optionSelector)) {
          const text = await handle.evaluate((element) => element.querySelector('span')?.textContent?.trim());
          if (text === label && (await handle.isVisible())) return handle;
        }
        return undefined;
      },
      STEP_TIMEOUT_MS,
    );
    // Clicked on the element itself: the list is still sliding open, so a click at its position can land on a neighbour.
    await option.evaluate((element) => (element as unknown as { click(): void }).click());
    // The list closes over the fields below it; a click there before it has gone lands on an option.
    await eventually(
      `the list closed after ${what}`,
      async () => {
        for (const handle of await this.page.$$(optionSelector)) if (await handle.isVisible()) return false;
        return true;
      },
      STEP_TIMEOUT_MS,
    );
  }

  /** The workflow list with a query typed into its raw query box: the ids it shows. */
  async listWorkflowIds(query: string): Promise<string[]> {
    await this.page.goto(this.url('/workflows'), { waitUntil: 'domcontentloaded' });
    await this.click('[data-testid="toggle-manual-query"]', 'the raw query toggle');
    const box = await this.visible('[data-testid="workflow-manual-search-input"]', 'the query box');
    await box.type(query);
    await box.press('Enter');
    // The filter shows in the address and as a chip once the list has been asked for it.
    await eventually(
      'the list filtered',
      async () => (new URL(this.page.url()).searchParams.get('query') ? true : undefined),
      STEP_TIMEOUT_MS,
    );
    return eventually(
      `the rows for ${query}`,
      async () => {
        // Done when the count above the list agrees with the rows shown.
        const counted = await this.page.$$eval('[data-testid="workflow-count"]', (counts) =>
          counts.map((count) => count.textContent?.trim() ?? ''),
        );
        const ids = await this.page.$$eval('input[aria-label^="Select Workflow "]', (boxes) =>
          boxes.map((checkbox) => checkbox.getAttribute('aria-label')!.replace(/^Select Workflow /, '')),
        );
        const shown = [...new Set(ids)].sort();
        return counted.length > 0 && counted.every((count) => Number(count) === shown.length) ? shown : undefined;
      },
      STEP_TIMEOUT_MS,
    );
  }

  async clickButton(label: RegExp): Promise<void> {
    const button = await eventually(
      `a button ${label}`,
      async () => {
        for (const handle of await this.page.$$('button')) {
          const text = await handle.evaluate((element) => element.textContent?.trim() ?? '');
          if (label.test(text) && (await handle.isVisible())) return handle;
        }
        return undefined;
      },
      STEP_TIMEOUT_MS,
    );
    await button.click();
  }

  async waitForText(text: string): Promise<void> {
    await eventually(
      `"${text}" on the page`,
      async () => ((await this.pageText()).includes(text) ? true : undefined),
      STEP_TIMEOUT_MS,
    );
  }

  pageText(): Promise<string> {
    return this.page.evaluate('document.body.innerText') as Promise<string>;
  }
}
