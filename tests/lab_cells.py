"""Run a solution's checks on edited answers in one kernel per lab: each edit re-runs only the cells it changes."""

from jupyter_client.manager import start_new_kernel

from grader.notebook import DEFINITIONS_TAG, checks, read


class LabKernel:
    """A kernel holding a solution's definition cells; a mistake re-runs the definitions from its first edit on."""

    def __init__(self, path, timeout=300):
        nb = read(path)
        self.cells = [c.source for c in nb.cells]
        self.definitions = [i for i, c in enumerate(nb.cells)
                            if c.cell_type == "code" and DEFINITIONS_TAG in c.metadata.get("tags", [])]
        self.check_cell = {cid: i for i, cid, _ in checks(nb)}
        self.timeout = timeout
        self.manager, self.client = start_new_kernel(kernel_name="python3")
        self.ran = 0  # the first `ran` definition cells have run
        self.edited_from = None  # the first of them that ran edited, None when all ran as the solution has them

    def position(self, check_id):
        """Where the check stands among the cells: the number of definition cells before it."""
        return sum(i < self.check_cell[check_id] for i in self.definitions)

    def check_output(self, check_id, edits=()):
        """The text the check prints after the definitions above it run with each (old, new) edit applied."""
        before = self.definitions[:self.position(check_id)]
        if len(before) < self.ran:
            raise ValueError(f"{check_id} comes before a check this kernel already ran: sort the calls by position")
        sources = {i: self.cells[i] for i in [*before, self.check_cell[check_id]]}
        for old, new in edits:
            hits = [i for i, source in sources.items() if old in source]
            assert len(hits) == 1, f"the edit {old!r} matches {len(hits)} cells"
            sources[hits[0]] = sources[hits[0]].replace(old, new)
        edited = [n for n, i in enumerate(before) if sources[i] != self.cells[i]]
        start = min([self.ran, *edited, *([self.edited_from] if self.edited_from is not None else [])])
        for i in before[start:]:
            self.run(sources[i])
        self.ran, self.edited_from = len(before), (edited[0] if edited else None)
        return self.run(sources[self.check_cell[check_id]])

    def run(self, source):
        """Run one cell; its stdout text, which the grader reads (errors are allowed, as in a student's notebook)."""
        texts = []

        def keep(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                texts.append(msg["content"]["text"])

        self.client.execute_interactive(source, timeout=self.timeout, output_hook=keep, allow_stdin=False)
        return "".join(texts)

    def close(self):
        """Stop the kernel."""
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
