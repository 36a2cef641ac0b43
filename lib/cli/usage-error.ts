/** A mistake in how the command was called: reported as one line, with exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
