"""The files of a project to publish, held to the rules of a generated project (app/project.py, app/paths.py).

A project sent to `POST /publish` is the caller's, not the model's: a file that breaks a rule is not dropped but
refused (422, naming the file by its index and the rule), so that what lands on GitHub is exactly what was sent.
"""

from collections.abc import Sequence

from app.paths import PathSet, normalize_path, unsafe_path_reason
from app.project import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, ProjectFile
from app.publish.errors import InvalidProject
from app.schemas import FileOut


def project_files(files: Sequence[FileOut]) -> list[ProjectFile]:
    """The files with normalized paths, or InvalidProject naming the first one that breaks a rule."""
    if len(files) > MAX_FILES:
        raise InvalidProject(f"a project holds at most {MAX_FILES} files, not {len(files)}")
    # Unlike the model, the caller may send workflows of its own: no folder is reserved.
    paths = PathSet()
    total = 0
    clean: list[ProjectFile] = []
    for index, item in enumerate(files, start=1):
        reason = unsafe_path_reason(item.path)
        if reason is None:
            path = normalize_path(item.path)
            reason = paths.claim(path)
        if reason is not None:
            raise InvalidProject(f"file #{index}: {reason}")
        try:
            size = len(item.content.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidProject(f"file #{index}: content is not valid UTF-8 (a lone surrogate)") from None
        if size > MAX_FILE_BYTES:
            raise InvalidProject(f"file #{index}: larger than {MAX_FILE_BYTES} bytes")
        total += size
        if total > MAX_TOTAL_BYTES:
            raise InvalidProject(f"file #{index}: the project is larger than {MAX_TOTAL_BYTES} bytes")
        clean.append(ProjectFile(path, item.content))
    return clean
