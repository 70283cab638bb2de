"""Mistakes ch07_scheduling warns about: (lab, mistake): (check id, [(solution text, the mistaken text)], hint words)."""

MISTAKES = {
    ("ch07_scheduling", "LAS that stops at the first job that does not fit"): (
        "ch07-las", [
            ("            if job.num_gpus <= free:\n                chosen.add(job)\n                free -= job.num_gpus\n",
             "            if job.num_gpus > free:\n                break\n            chosen.add(job)\n            free -= job.num_gpus\n"),
        ], "keep walking the queues past a job that does not fit"),
    ("ch07_scheduling", "best fit delegated to the cluster's own placement"): (
        "ch07-placement", [
            ("    g, n = cluster.gpus_per_node, job.num_gpus\n    if n <= g:\n        fits = [node",
             "    return cluster.place(job.num_gpus, job.cpus, job.mem_gb)\n    g, n = cluster.gpus_per_node, job.num_gpus\n    if n <= g:\n        fits = [node"),
        ], "choose the node yourself"),
    ("ch07_scheduling", "DRF that ends the round at the first refused user"): (
        "ch07-drf-policy", [
            ("            else:\n                refused.add(user)", "            else:\n                return"),
        ], "stayed waiting after DRF's round"),
    ("ch07_scheduling", "SJF by arrival"): (
        "ch07-sjf", [
            ("sorted(sim.waiting, key=lambda j: j.duration)",
             "list(sim.waiting)"),
        ], "start the shortest waiting job"),
    ("ch07_scheduling", "a policy that over-allocates a node"): (
        "ch07-sjf", [
            ("            sim.start(job)\n",
             "            sim.start(job, {0: job.num_gpus})\n"),
        ], "on node 0, which has 0 GPUs"),
    ("ch07_scheduling", "SJF that stops at the first job that does not fit"): (
        "ch07-sjf-no-blocking", [
            ("            sim.start(job)\n",
             "            if not sim.start(job):\n                break\n"),
        ], "do not stop at the first that does not fit"),
    ("ch07_scheduling", "SRTF that never preempts"): (
        "ch07-srtf", [
            ("while free < job.num_gpus and self.running:",
             "while False:"),
        ], "never preempts"),
    ("ch07_scheduling", "LAS without demotion"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: j.submit_time"),
        ], "demote jobs past the threshold"),
    ("ch07_scheduling", "gang scheduling that allocates partially"): (
        "ch07-gang", [
            ("    if sum(cluster.free_gpus) < num_gpus:\n        return None\n",
             ""),
            ("        if need == 0:\n            return placement\n",
             "        if need == 0:\n            break\n    return placement or None\n"),
        ], "return None when the cluster cannot hold all of it"),
    ("ch07_scheduling", "DRF on raw amounts"): (
        "ch07-dominant-share", [
            ("return max(u / c for u, c in zip(usage, capacity))",
             "return max(usage)"),
        ], "not the raw amounts"),
    ("ch07_scheduling", "DRF that forgets completions"): (
        "ch07-drf-policy", [
            ("            self.usage[job.user][r] -= amount",
             "            pass"),
        ], "update usage on start and on completion"),
    ("ch07_scheduling", "capacity without reclaiming"): (
        "ch07-capacity", [
            ("                node = reclaimable_node(job)\n",
             "                node = None\n"),
        ], "preempt borrowed jobs to reclaim"),
    ("ch07_scheduling", "capacity that preempts borrowers on any node"): (
        "ch07-capacity", [
            ("                node = reclaimable_node(job)\n                if node is None:\n"
             "                    continue  # stopping borrowers would not make it fit on one node: stop none\n"
             "                for victim in [j for j in reversed(self.borrowed) if j.vc != job.vc and node in j.placement]:",
             "                for victim in [j for j in reversed(self.borrowed) if j.vc != job.vc]:"),
        ], "a useless preemption"),
    ("ch07_scheduling", "capacity that stops every borrower on the node before starting the job"): (
        "ch07-capacity", [
            ("                    queue.append(victim)\n                    if sim.start(job):\n                        break\n"
             "                else:\n                    continue\n",
             "                    queue.append(victim)\n                if not sim.start(job):\n                    continue\n"),
        ], "over-preemption"),
    ("ch07_scheduling", "capacity that reclaims a node by its GPUs alone"): (
        "ch07-capacity", [
            ("if gpus >= job.num_gpus and cpus >= job.cpus - 1e-9 and mem >= job.mem_gb - 1e-9:",
             "if gpus >= job.num_gpus:"),
        ], "(GPUs, CPUs and memory)"),
    ("ch07_scheduling", "LAS that reads the duration"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: j.duration"),
        ], "a LAS policy may not know a job's duration"),
    ("ch07_scheduling", "LAS that preempts within a queue"): (
        "ch07-las", [
            ("key=lambda j: (self.queue(sim, j), j.submit_time)",
             "key=lambda j: (self.queue(sim, j), sim.attained(j), j.submit_time)"),
        ], "run in arrival order and do not preempt each other"),
    ("ch07_scheduling", "DRF that stops at the first blocked user"): (
        "ch07-drf", [
            ("            if all(used[r] + demands[u][r] <= capacity[r] + 1e-9 for r in range(len(capacity))):",
             "            if not all(used[r] + demands[u][r] <= capacity[r] + 1e-9 for r in range(len(capacity))):\n"
             "                return tasks\n            if True:"),
        ], "stopped at the first user that was blocked"),
    ("ch07_scheduling", "placement that ignores CPUs"): (
        "ch07-placement", [
            ("cluster.fits(node, n, job.cpus, job.mem_gb)]\n        return {min",
             "cluster.free_gpus[node] >= n]\n        return {min"),
        ], "where GPUs, CPUs and memory fit"),
    ("ch07_scheduling", "placement that ignores memory"): (
        "ch07-placement", [
            ("cluster.fits(node, n, job.cpus, job.mem_gb)]\n        return {min",
             "cluster.fits(node, n, job.cpus)]\n        return {min"),
        ], "where GPUs, CPUs and memory fit"),
}
