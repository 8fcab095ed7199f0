#!/usr/bin/python3
"""EMR tracker benchmark: N concurrent steps of D seconds on one emulated cluster, followed by

  * polling  - our `emr` job type, polling mode (batched ListSteps),
  * events   - our `emr` job type, event mode (SQS long poll + slow safety poll),
  * java     - a replay of the Java plugin's schedule (per job: ListClusters, DescribeCluster,
               AddJobFlowSteps, then 60 s sleep, ListSteps(StepIds=[id]) + GetLogEvents every
               60 s, one final GetLogEvents),

all against the same emulator in the same run. Reports AWS calls per API, EMR calls per
step-minute and completion-noticed latency (emulator's step finished time -> job end).

Usage: /usr/bin/python3 bench/emr_tracker/run_bench.py --bin build/src/cli/azkaban-executor
       [--steps 50] [--seconds 60] [--modes polling,events,java] [--json out.json]
"""

import argparse
import gzip
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "aws_emulator"))
from harness import Emulator, TEST_ACCESS_KEY, TEST_SECRET_KEY  # noqa: E402

CLUSTER = "bench-cluster"
STEP_SH = "#!/bin/bash\nAZK_ID=\"$1\"; export AZK_ID\nSCRIPT=\"$3\"\nshift 3\nexec \"$SCRIPT\" $@\n"
WORK_SH = ("#!/bin/bash\necho \"start $1\"\nfor i in $(seq 1 %(lines)d); do echo \"$1 line $i\"; "
           "sleep %(pause)s; done\necho \"end $1\"\n")


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def emr_calls(calls):
    return sum(n for api, n in calls.items() if api.startswith("emr."))


def summarise(name, calls, latencies, steps, seconds):
    step_minutes = steps * seconds / 60.0
    return {"mode": name, "calls": dict(sorted(calls.items())), "emr_calls": emr_calls(calls),
            "emr_calls_per_step_minute": round(emr_calls(calls) / step_minutes, 3),
            "all_calls_per_step_minute": round(sum(calls.values()) / step_minutes, 3),
            "latency_median_s": round(statistics.median(latencies), 3) if latencies else None,
            "latency_max_s": round(max(latencies), 3) if latencies else None,
            "steps_noticed": len(latencies)}


def run_ours(emu, args, tmp, mode):
    d = os.path.join(tmp, mode)
    step_sh = os.path.join(d, "step.sh")
    work = os.path.join(d, "work.sh")
    write(step_sh, STEP_SH, 0o755)
    lines = max(1, args.seconds // 5)
    write(work, WORK_SH % {"lines": lines, "pause": args.seconds / lines}, 0o755)
    extra = ""
    if mode == "events":
        extra = f"aws.emr.events.queue.url={emu.endpoint}/123456789012/emr-step-events\n"
    write(os.path.join(d, "plugins", "commonprivate.properties"), "execute.as.user=false\n")
    write(os.path.join(d, "plugins", "emr", "private.properties"), textwrap.dedent(f"""\
        aws.emr.cluster.name={CLUSTER}
        aws.emr.step.name=batch-step
        aws.emr.step.script={step_sh}
        aws.region=eu-west-2
        execute.as.user=true
        use.emr.user=true
        azkaban.server.blacklist.users=azkaban
        """) + extra)
    nodes = "nodes:\n" + "".join(
        f"  - name: job{i}\n    type: emr\n    config:\n      step: {work} job{i}\n" for i in range(args.steps))
    write(os.path.join(d, "project", "bench.project"), "azkaban-flow-version: 2.0\n")
    write(os.path.join(d, "project", "bench.flow"), nodes)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ENDPOINT_URL": emu.endpoint, "AWS_REGION": "eu-west-2", "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY})
    emu.admin("POST", "calls/reset")
    before = {s["id"] for s in emu.admin("GET", "emr/steps")["steps"]}
    data = os.path.join(d, "data")
    p = subprocess.run([args.bin, "run", os.path.join(d, "project"), "--plugin-dir", os.path.join(d, "plugins"),
                        "--output", "json", "--data-dir", data, "--job-threads", str(args.steps + 5)],
                       env=env, capture_output=True, text=True, timeout=args.seconds * 10 + 300)
    calls = emu.admin("GET", "calls")["calls"]
    summary = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])
    if summary["status"] != "SUCCEEDED":
        print(p.stderr[-3000:], file=sys.stderr)
    con = sqlite3.connect(os.path.join(data, "executor.db"))
    ends = {job: end for job, end in con.execute("SELECT job_id, end_time FROM execution_jobs")}
    con.close()
    lat = []
    for s in emu.admin("GET", "emr/steps")["steps"]:
        if s["id"] in before or not s["finished"]:
            continue
        job = s["args"][4]
        if job in ends and ends[job]:
            lat.append(ends[job] / 1000.0 - s["finished"])
    out = summarise(mode, calls, lat, args.steps, args.seconds)
    out["flow_status"] = summary["status"]
    return out


def run_java_replay(emu, args, tmp):
    """The Java plugin's calls and sleeps (EMRStep.java, spec 2.2-2.8), one thread per job."""
    import botocore.session
    d = os.path.join(tmp, "java")
    step_sh = os.path.join(d, "step.sh")
    work = os.path.join(d, "work.sh")
    write(step_sh, STEP_SH, 0o755)
    lines = max(1, args.seconds // 5)
    write(work, WORK_SH % {"lines": lines, "pause": args.seconds / lines}, 0o755)
    session = botocore.session.get_session()
    kw = dict(region_name="eu-west-2", endpoint_url=emu.endpoint, aws_access_key_id=TEST_ACCESS_KEY,
              aws_secret_access_key=TEST_SECRET_KEY)
    from botocore.config import Config
    cfg = Config(max_pool_connections=args.steps + 10, retries={"max_attempts": 4, "mode": "legacy"})
    emr = session.create_client("emr", config=cfg, **kw)
    logs = session.create_client("logs", config=cfg, **kw)
    emu.admin("POST", "calls/reset")
    noticed = {}
    poll = args.java_poll

    def job(i):
        clusters, marker = [], None
        while True:
            kwargs = {"ClusterStates": ["STARTING", "BOOTSTRAPPING", "WAITING", "RUNNING"]}
            if marker:
                kwargs["Marker"] = marker
            r = emr.list_clusters(**kwargs)
            clusters += r["Clusters"]
            marker = r.get("Marker")
            if not marker:
                break
        cid = next(c["Id"] for c in clusters if c["Name"] == CLUSTER)
        desc = emr.describe_cluster(ClusterId=cid)["Cluster"]
        if desc.get("StepConcurrencyLevel") != 256:
            emr.modify_cluster(ClusterId=cid, StepConcurrencyLevel=256)
        sid = emr.add_job_flow_steps(JobFlowId=cid, Steps=[{
            "Name": "batch-step", "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {"Jar": "s3://eu-west-2.elasticmapreduce/libs/script-runner/script-runner.jar",
                              "Args": [step_sh, "uuid", "hadoop", work, f"job{i}"]}}])["StepIds"][0]
        token = None
        while True:
            time.sleep(poll)
            state = emr.list_steps(ClusterId=cid, StepIds=[sid])["Steps"][0]["Status"]["State"]
            req = {"logGroupName": "/aws/emr/azkaban", "logStreamName": sid, "startFromHead": True}
            if token:
                req["nextToken"] = token
            try:
                token = logs.get_log_events(**req)["nextForwardToken"]
            except Exception:  # noqa: BLE001 - the original swallows Logs service errors
                pass
            if state in ("COMPLETED", "CANCELLED", "FAILED"):
                break
        if token:
            try:
                logs.get_log_events(logGroupName="/aws/emr/azkaban", logStreamName=sid, startFromHead=True,
                                    nextToken=token)
            except Exception:  # noqa: BLE001
                pass
        noticed[sid] = time.time()

    threads = [threading.Thread(target=job, args=(i,)) for i in range(args.steps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = emu.admin("GET", "calls")["calls"]
    steps = {s["id"]: s for s in emu.admin("GET", "emr/steps")["steps"]}
    lat = [noticed[sid] - steps[sid]["finished"] for sid in noticed if steps[sid]["finished"]]
    out = summarise("java", calls, lat, args.steps, args.seconds)
    out["flow_status"] = "n/a"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--java-poll", type=float, default=60.0, help="the Java plugin's fixed poll (60 s)")
    ap.add_argument("--modes", default="events,polling,java")
    ap.add_argument("--json")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="emr-bench-")
    results = []
    with Emulator(config={"emr": {"clusters": [{"name": CLUSTER, "state": "WAITING", "step_concurrency": 256}]}},
                  state_dir=os.path.join(tmp, "emu")) as emu:
        modes = args.modes.split(",")
        threads = []
        # The three schedules run one after the other on the same emulator (same run).
        for mode in modes:
            t0 = time.time()
            r = run_java_replay(emu, args, tmp) if mode == "java" else run_ours(emu, args, tmp, mode)
            r["wall_s"] = round(time.time() - t0, 1)
            results.append(r)
            print(json.dumps(r), flush=True)
    java = next((r for r in results if r["mode"] == "java"), None)
    if java:
        for r in results:
            r["emr_calls_vs_java"] = round(r["emr_calls"] / java["emr_calls"], 3) if java["emr_calls"] else None
    print("\n| mode | EMR calls | EMR calls / step-minute | all calls / step-minute | vs Java EMR | "
          "latency median s | latency max s |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['mode']} | {r['emr_calls']} | {r['emr_calls_per_step_minute']} | "
              f"{r['all_calls_per_step_minute']} | {r.get('emr_calls_vs_java')} | {r['latency_median_s']} | "
              f"{r['latency_max_s']} |")
    for r in results:
        print(f"{r['mode']}: {r['calls']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
