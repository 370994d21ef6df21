// How `rollout run --wait` puts its progress on the screen. On a terminal the progress block
// stays at the bottom and is redrawn in place (cursor up, clear to the end of the screen), with
// the timeline's events scrolling above it; into a pipe or a file every line is plain text, and
// a progress line is printed only when it changed, so a log reads as a history.
import { clearScreenDown, moveCursor } from 'node:readline';

export interface ProgressRenderer {
  /** A line that stays (a timeline event). */
  log(line: string): void;
  /** The progress block as it is now. */
  update(lines: string[]): void;
  /** Leaves the last block on the screen and stops redrawing it. */
  done(): void;
}

export function progressRenderer(stream: NodeJS.WriteStream): ProgressRenderer {
  return stream.isTTY ? new TerminalRenderer(stream) : new PlainRenderer(stream);
}

class TerminalRenderer implements ProgressRenderer {
  private drawn = 0;
  private block: string[] = [];

  constructor(private readonly stream: NodeJS.WriteStream) {}

  log(line: string): void {
    this.erase();
    this.stream.write(`${line}\n`);
    this.draw();
  }

  update(lines: string[]): void {
    if (lines.length === this.block.length && lines.every((line, i) => line === this.block[i])) return;
    this.block = lines;
    this.erase();
    this.draw();
  }

  done(): void {
    this.drawn = 0;
  }

  private erase(): void {
    if (this.drawn === 0) return;
    moveCursor(this.stream, 0, -this.drawn);
    clearScreenDown(this.stream);
    this.drawn = 0;
  }

  private draw(): void {
    // A line wider than the terminal wraps onto two rows, and the next redraw would climb one
    // row short: each line is cut to the width.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    for (const line of this.block)
      this.stream.write(`${line.length > width ? `${line.slice(0, width - 1)}…` : line}\n`);
    this.drawn = this.block.length;
  }
}

class PlainRenderer implements ProgressRenderer {
  private readonly last = new Map<string, string>();

  constructor(private readonly stream: NodeJS.WritableStream) {}

  log(line: string): void {
    this.stream.write(`${line}\n`);
  }

  update(lines: string[]): void {
    for (const line of lines) {
      // Lines are keyed by their label ("stage", "window", …): each prints again only when it changes.
      const key = line.slice(0, 9);
      if (this.last.get(key) === line) continue;
      this.last.set(key, line);
      this.stream.write(`${line}\n`);
    }
  }

  done(): void {}
}
