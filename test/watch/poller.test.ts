import { quietPollDelayMs, retryDelayMs } from '../../src/watch/poller';

describe('poll pacing', () => {
  it.each([
    [0, 0],
    [9 * 60_000, 0],
    [10 * 60_000, 60_000],
    [59 * 60_000, 60_000],
    [60 * 60_000, 120_000],
    [6 * 60 * 60_000 - 1, 120_000],
    [6 * 60 * 60_000, 300_000],
    [7 * 24 * 60 * 60_000, 300_000],
  ])('a job quiet for %i ms is polled again after %i ms more', (quietFor, delay) => {
    expect(quietPollDelayMs(quietFor)).toBe(delay);
  });

  it.each([
    [1, 30_000],
    [2, 60_000],
    [3, 120_000],
    [5, 480_000],
    [6, 900_000],
    [40, 900_000],
  ])('after %i consecutive errors the next try waits %i ms', (errors, delay) => {
    expect(retryDelayMs(errors, 30_000, 900_000)).toBe(delay);
  });
});

