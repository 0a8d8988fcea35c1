/**
 * One timer for the earliest moment something is due (a back-off's end): asking for a later moment than
 * the one set changes nothing, an earlier one moves the timer. When it fires, `onWake` runs and the timer
 * is free again. Times are on `clock`; the wait is measured from now.
 */
export interface WakeTimer {
  wakeAt(due: number): void;
  clear(): void;
}

export function createWakeTimer(onWake: () => void, clock: () => number): WakeTimer {
  let timer: NodeJS.Timeout | undefined;
  let due = Number.POSITIVE_INFINITY;
  return {
    wakeAt(at) {
      if (at >= due) return;
      if (timer) clearTimeout(timer);
      due = at;
      timer = setTimeout(() => {
        timer = undefined;
        due = Number.POSITIVE_INFINITY;
        onWake();
      }, Math.max(0, at - clock()) + 5);
      timer.unref?.();
    },
    clear() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      due = Number.POSITIVE_INFINITY;
    },
  };
}
