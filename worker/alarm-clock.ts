/**
 * A Durable Object's one alarm, as a wake-up call (src/store/port.ts WakeUps) that remembers the
 * time it last read or set, so an object that is asked "wake me by T" on every call sets its alarm
 * once rather than on every call. The object's `alarm()` handler must call `consumed()` first: the
 * alarm that is running is gone, and whatever is set after it is the next one.
 */
import type { WakeUps } from "../src/store/port.ts";

export class AlarmClock implements WakeUps {
  /** The alarm time as last read or set; undefined until first needed. */
  private alarmAt: number | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  async wakeAt(time: number | undefined): Promise<void> {
    if (time === undefined) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(time);
    this.alarmAt = time ?? null;
  }

  async wakeBy(time: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > time) await this.wakeAt(time);
  }

  consumed(): void {
    this.alarmAt = null;
  }
}
