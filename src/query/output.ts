import { once } from 'node:events';
import { redact } from '../config/secrets.js';

/** How much text is gathered before it goes to the stream. */
const CHUNK_CHARS = 64 * 1024;

/**
 * stdout for a result of any size: text is gathered into chunks, and a chunk the stream cannot
 * take yet is waited on (a slow reader holds the query back instead of filling memory).
 */
export class Output {
  private buffer = '';
  private used = false;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Whether anything was written (a JSON error document must then not follow). */
  get written(): boolean {
    return this.used;
  }

  async write(text: string): Promise<void> {
    if (text === '') return;
    this.buffer += text;
    this.used = true;
    if (this.buffer.length >= CHUNK_CHARS) await this.flush();
  }

  async line(text: string): Promise<void> {
    await this.write(`${text}\n`);
  }

  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const text = redact(this.buffer);
    this.buffer = '';
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}
