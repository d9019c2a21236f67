"""One scheduler per job: flock between threads and between processes, no stale locks."""

import os
import signal
import subprocess
import sys
import threading
import time

from schedule_fakes import FakeRunner, events, once

from evaluation.schedule.lock import JobLock


def test_a_second_holder_is_refused_until_the_first_releases(tmp_path):
    first, second = JobLock(tmp_path, "monthly"), JobLock(tmp_path, "monthly")
    assert first.acquire()
    assert not second.acquire()
    assert second.holder.startswith(f"pid {os.getpid()} since ")
    assert JobLock(tmp_path, "other").acquire(), "locks are per job"
    first.release()
    assert second.acquire()
    second.release()


def test_a_lock_held_by_another_process_and_freed_when_it_is_killed(tmp_path):
    code = (
        "import sys, time\n"
        "from evaluation.schedule.lock import JobLock\n"
        f"lock = JobLock({str(tmp_path)!r}, 'monthly')\n"
        "assert lock.acquire()\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with JobLock(tmp_path, "monthly") as lock:
            assert not lock.acquired and lock.holder.startswith(f"pid {child.pid} ")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    with JobLock(tmp_path, "monthly") as lock:
        assert lock.acquired, "the kernel dropped the dead process's lock"


def test_a_locked_job_is_skipped_with_a_log_line(schedule, smtp, caplog):
    holder = JobLock(schedule.state_dir, "monthly")
    assert holder.acquire()
    try:
        runner = FakeRunner()
        with caplog.at_level("INFO", logger="evaluation.schedule"):
            actions, _ = once(schedule, runner=runner)
    finally:
        holder.release()
    assert [a.status for a in actions] == ["locked"]
    assert "another scheduler is running this job" in caplog.text
    assert runner.calls == [] and events(schedule) == [] and smtp.received == []


def test_two_schedulers_at_once_run_the_job_once(schedule, smtp):
    runner = FakeRunner(delay=0.5)
    results = []

    def scheduler():
        results.append(once(schedule, runner=runner)[0])

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    statuses = sorted(a.status for actions in results for a in actions)
    assert statuses == ["delivered", "delivered", "locked", "published"]
    assert len(runner.calls) == 1 and len(smtp.received) == 2
