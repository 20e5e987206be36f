/**
 * Progress bars for the long commands (compact, verify, repair, checkpoint, dump), drawn with
 * cli-progress on standard error, and only when it is a terminal: scripts reading the output, or a
 * redirected stderr, see nothing of them. The bar is cleared when the work ends.
 */
import cliProgress from 'cli-progress';

/** Progress receives the engine's onProgress calls. */
export interface Progress {
  /** onProgress: pass as the operation's ProgressOptions.onProgress. */
  readonly onProgress: (done: number, total: number) => void;
  /** stop clears the bar (call it whatever happens). */
  stop(): void;
}

const NONE: Progress = { onProgress: () => {}, stop: () => {} };

/**
 * startProgress returns a bar labelled `label` counting `unit`s ('bytes' are shown in MiB), drawn on
 * `stream` if it is a terminal; otherwise a Progress that does nothing.
 */
export function startProgress(
  label: string,
  unit: 'bytes' | 'files' | 'steps',
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (stream.isTTY !== true) return NONE;
  const bytes = unit === 'bytes';
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% {shown} ${bytes ? 'MiB' : unit} eta {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const shown = (done: number, total: number): string =>
    bytes ? `${(done / 1048576).toFixed(1)}/${(total / 1048576).toFixed(1)}` : `${done}/${total}`;
  return {
    onProgress: (done, total) => {
      if (!started) {
        bar.start(total, done, { shown: shown(done, total) });
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(done, { shown: shown(done, total) });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
