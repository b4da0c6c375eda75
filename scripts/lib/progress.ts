/** A one-line progress bar on stderr (redrawn in place on a terminal, one line per 10 % otherwise). */
export const progressBar = (label: string) => {
  let lastDecile = -1;
  return {
    update(done: number, total: number) {
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const width = 30;
      const filled = Math.round(fraction * width);
      const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
      if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
      else if (Math.floor(fraction * 10) !== lastDecile) {
        lastDecile = Math.floor(fraction * 10);
        process.stderr.write(`${line}\n`);
      }
    },
    done() {
      if (process.stderr.isTTY) process.stderr.write('\n');
    },
  };
};
