"""The problems found in a file: the first MAX_PROBLEMS kept, all counted; one that stops the reading."""

from __future__ import annotations

from orders_etl.errors import MAX_PROBLEMS, Problem


class Problems:
    """Collects problems: keeps the first MAX_PROBLEMS, counts them all."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.total = 0

    def add(self, position: str, field: str, value: str, expected: str) -> None:
        self.total += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(Problem(position, field, value, expected))

    def extend(self, other: Problems) -> None:
        """Add other's problems after these, as if added one by one."""
        for problem in other.kept:
            self.add(problem.position, problem.field, problem.value, problem.expected)
        self.total += other.total - len(other.kept)

    def only(self, problem: Problem) -> None:
        """This problem makes the file unreadable: it replaces every other."""
        self.kept = [problem]
        self.total = 1


class FileProblem(Exception):
    """One problem that makes the rest of the file unreadable."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.to_line())
        self.problem = problem


def file_problem(position: str, value: str, expected: str) -> FileProblem:
    return FileProblem(Problem(position, "", value, expected))
