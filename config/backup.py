"""Backup and restore of the portal: the PostgreSQL database and the stored files, in one archive.

``scripts/backup ARCHIVE``            write the archive (``python -m config.backup backup``)
``scripts/backup --verify ARCHIVE``   check an archive without restoring it
``scripts/restore ARCHIVE --database-url postgres://…/NEW_DB --media-root NEW_FOLDER``
                                      restore into a new database and folder, then verify the restore

The archive (an uncompressed tar: the dump is compressed by pg_dump, the files are PDFs and ZIPs) holds
``database.dump`` (``pg_dump --format=custom``), ``media/…`` (every file under ``MEDIA_ROOT``: customer documents,
report batch ZIPs) and ``manifest.json``: the portal's migrations, the row count of every table, the SHA-256 and
size of every member, signed with HMAC-SHA256 under a key derived from ``BACKUP_SIGNING_KEY`` (by default the
portal's ``SECRET_KEY``), so an archive changed after it was written is refused before anything is restored.

Consistency: the database is dumped from one exported snapshot (``pg_export_snapshot`` + ``pg_dump
--snapshot``), and the row counts and the list of files the database refers to are read in that same snapshot.
Every file a row of the snapshot refers to (``CustomerDocument.file``, ``ReportBatch.file``) must be in the
archive with the SHA-256 its row records, or the backup fails (a file deleted while the backup ran: run it
again). Files written after the snapshot began are copied too and are simply unreferenced after a restore.

Verification of a restore: the row counts equal the manifest's, every stored report's PDF (in the database) and
every referenced file hash to what their rows record, and the audit trail's hash chain is intact
(``audit.chain.verify``, as ``manage.py verify_audit_chain``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"


class BackupError(Exception):
    """The backup, the archive or the restore is not what it must be (the message says why)."""


# --- helpers -------------------------------------------------------------------------------------------------

def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _sha256_file(path, chunk=1024 * 1024) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256_stream(handle, chunk=1024 * 1024) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(chunk), b""):
        digest.update(block)
    return digest.hexdigest()


def _signing_key() -> bytes:
    from django.conf import settings

    secret = getattr(settings, "BACKUP_SIGNING_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(b"creditportal.backup.manifest:" + secret.encode()).digest()


def _signature(body: dict) -> str:
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(_signing_key(), payload, hashlib.sha256).hexdigest()


def _database(url: str | None = None) -> dict:
    """Connection parameters (psycopg and libpq's environment) of ``url`` or of the portal's database."""
    from django.conf import settings

    if url:
        import environ

        config = environ.Env.db_url_config(url)
    else:
        config = settings.DATABASES["default"]
    if "postgresql" not in config["ENGINE"] and "creditportal.db.postgresql" not in config["ENGINE"]:
        raise BackupError("Backups need PostgreSQL (DATABASE_URL=postgres://…); SQLite is for development.")
    return {"dbname": config["NAME"], "user": config.get("USER") or None, "password": config.get("PASSWORD") or None,
            "host": config.get("HOST") or None, "port": str(config.get("PORT") or "") or None}


def _libpq_env(params: dict) -> dict:
    env = dict(os.environ)
    for key, name in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("password", "PGPASSWORD"),
                      ("dbname", "PGDATABASE")):
        if params.get(key):
            env[name] = params[key]
    return env


def _connect(params: dict, **kwargs):
    import psycopg

    return psycopg.connect(**{k: v for k, v in params.items() if v}, **kwargs)


def _tables(cursor) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def _row_counts(cursor) -> dict[str, int]:
    from psycopg import sql

    counts = {}
    for table in _tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


def _referenced_files(cursor) -> dict[str, str]:
    """{path under MEDIA_ROOT: SHA-256 its row records} for every stored file the database refers to."""
    from psycopg import sql

    from customers.models import CustomerDocument
    from reports.models import ReportBatch

    files = {}
    for model in (CustomerDocument, ReportBatch):
        cursor.execute(sql.SQL("SELECT file, sha256 FROM {} WHERE file <> ''").format(
            sql.Identifier(model._meta.db_table)))
        files.update({name: digest for name, digest in cursor.fetchall()})
    return files


def _migrations(cursor) -> dict[str, str]:
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(cursor.fetchall())


def _tool_version(tool: str) -> str:
    return subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout.strip()


class _HashingReader:
    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _major(version: str) -> int:
    import re

    match = re.search(r"(\d+)(?:\.\d+)?", version)
    return int(match.group(1)) if match else 0


# --- backup --------------------------------------------------------------------------------------------------

def backup(archive: str | os.PathLike, *, database_url: str | None = None, media_root=None) -> dict:
    """Write the archive; returns its manifest."""
    from django.conf import settings

    params = _database(database_url)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    archive = Path(archive)
    if archive.exists():
        raise BackupError(f"{archive} exists already; choose a new name.")
    with tempfile.TemporaryDirectory(prefix="portal-backup-") as work:
        dump = Path(work) / DUMP
        with _connect(params, autocommit=False) as conn, conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version'), now()")
            snapshot, server_version, taken_at = cursor.fetchone()
            dump_version = _tool_version("pg_dump")
            if _major(dump_version.partition(")")[2] or dump_version) < _major(server_version):
                raise BackupError(f"{dump_version} is older than the server ({server_version}): install the "
                                  "server's version of the PostgreSQL client tools")
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                 f"--file={dump}"], env=_libpq_env(params), capture_output=True, text=True)
            if result.returncode:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
            counts = _row_counts(cursor)
            referenced = _referenced_files(cursor)
            migrations = _migrations(cursor)
            conn.rollback()
        members = {DUMP: {"sha256": _sha256_file(dump), "size": dump.stat().st_size}}
        media_files = sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []
        with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(dump, arcname=DUMP)
            for path in media_files:
                name = f"{MEDIA}/{path.relative_to(media_root).as_posix()}"
                stat = path.stat()
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o640
                # the hash of exactly the bytes written into the archive, read once, streamed
                with open(path, "rb") as handle:
                    reader = _HashingReader(handle)
                    tar.addfile(info, reader)
                members[name] = {"sha256": reader.digest.hexdigest(), "size": info.size}
            missing = [f"{name} (row hash {digest[:12]}…)" for name, digest in sorted(referenced.items())
                       if members.get(f"{MEDIA}/{name}", {}).get("sha256") != digest]
            if missing:
                raise BackupError("files the database refers to are missing or changed: " + ", ".join(missing[:20]))
            body = {
                "format": FORMAT,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "snapshot_at": taken_at.isoformat(),
                "server_version": server_version,
                "pg_dump": dump_version,
                "database": params["dbname"],
                "migrations": migrations,
                "tables": counts,
                "referenced_files": referenced,
                "members": members,
            }
            manifest = {**body, "signature": _signature(body)}
            payload = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(payload), int(dt.datetime.now().timestamp()), 0o640
            tar.addfile(info, io.BytesIO(payload))
    return manifest


# --- verify an archive ---------------------------------------------------------------------------------------

def verify_archive(archive: str | os.PathLike) -> dict:
    """The archive's manifest, after checking its signature and every member's hash; BackupError otherwise."""
    with tarfile.open(archive, "r") as tar:
        try:
            manifest = json.loads(tar.extractfile(MANIFEST).read())
        except (KeyError, ValueError) as exc:
            raise BackupError(f"no readable manifest: {exc}") from exc
        body = {k: v for k, v in manifest.items() if k != "signature"}
        if body.get("format") != FORMAT:
            raise BackupError(f"unknown archive format {body.get('format')!r}")
        if not hmac.compare_digest(str(manifest.get("signature", "")), _signature(body)):
            raise BackupError("the manifest's signature does not match: the archive was changed, or it was "
                              "written with another BACKUP_SIGNING_KEY")
        seen = set()
        for member in tar.getmembers():
            if member.name == MANIFEST:
                continue
            if not member.isfile() or member.name.startswith("/") or ".." in Path(member.name).parts:
                raise BackupError(f"unexpected member {member.name!r}")
            expected = body["members"].get(member.name)
            if expected is None:
                raise BackupError(f"{member.name} is not in the manifest")
            digest = _sha256_stream(tar.extractfile(member))
            if digest != expected["sha256"] or member.size != expected["size"]:
                raise BackupError(f"{member.name} does not match its hash in the manifest")
            seen.add(member.name)
        if missing := sorted(set(body["members"]) - seen):
            raise BackupError("members missing from the archive: " + ", ".join(missing[:20]))
    return manifest


# --- restore -------------------------------------------------------------------------------------------------

def restore(archive, *, database_url: str, media_root, verify: bool = True) -> dict:
    """Restore into a new (or empty) database and a new (or empty) folder, then verify; returns the report."""
    manifest = verify_archive(archive)
    params = _database(database_url)
    media_root = Path(media_root)
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty; restore into a new folder.")
    _create_database(params)
    with tempfile.TemporaryDirectory(prefix="portal-restore-") as work:
        with tarfile.open(archive, "r") as tar:
            dump = Path(work) / DUMP
            with tar.extractfile(DUMP) as source, open(dump, "wb") as target:
                shutil.copyfileobj(source, target)
            result = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                                     f"--dbname={params['dbname']}", str(dump)],
                                    env=_libpq_env(params), capture_output=True, text=True)
            if result.returncode:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
            media_root.mkdir(parents=True, exist_ok=True)
            for member in tar.getmembers():
                if member.name.startswith(f"{MEDIA}/"):
                    target = media_root / member.name[len(MEDIA) + 1:]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(member) as source, open(target, "wb") as handle:
                        shutil.copyfileobj(source, handle)
    return verify_restore(manifest, database_url=database_url, media_root=media_root) if verify else {}


def _create_database(params: dict):
    from psycopg import sql

    maintenance = {**params, "dbname": "postgres"}
    with _connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [params["dbname"]]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["dbname"])))
            return
    with _connect(params) as conn, conn.cursor() as cursor:
        if _tables(cursor):
            raise BackupError(f"database {params['dbname']} is not empty; restore into a new database.")


def verify_restore(manifest: dict, *, database_url: str, media_root) -> dict:
    """Compare a restored database and folder with the archive's manifest; BackupError on any difference."""
    from audit import chain
    from audit.models import AuditEvent
    from reports.models import StoredReport

    params = _database(database_url)
    media_root = Path(media_root)
    problems = []
    with _connect(params) as conn, conn.cursor() as cursor:
        counts = _row_counts(cursor)
        for table, expected in sorted(manifest["tables"].items()):
            if counts.get(table) != expected:
                problems.append(f"table {table}: {counts.get(table)} rows, the backup had {expected}")
        # stored reports: the PDF in the row against the hash recorded when it was generated
        from psycopg import sql

        cursor.execute(sql.SQL("SELECT id, sha256, content FROM {} ORDER BY id").format(
            sql.Identifier(StoredReport._meta.db_table)))
        reports = 0
        for report_id, digest, content in cursor:
            reports += 1
            if hashlib.sha256(bytes(content)).hexdigest() != digest:
                problems.append(f"stored report #{report_id}: content does not match its SHA-256")
        files = _referenced_files(cursor)
        for name, digest in sorted(files.items()):
            path = media_root / name
            if not path.is_file():
                problems.append(f"file {name} is missing")
            elif _sha256_file(path) != digest:
                problems.append(f"file {name} does not match its SHA-256")
        columns = ["id", "chain_hash", *chain.CHAINED_FIELDS]
        cursor.execute(sql.SQL("SELECT {} FROM {} ORDER BY id").format(
            sql.SQL(", ").join(sql.Identifier(_column(AuditEvent, name)) for name in columns),
            sql.Identifier(AuditEvent._meta.db_table)))
        report = chain.verify(dict(zip(columns, row)) for row in cursor)
        if not report.intact:
            problems.append(f"audit chain broken at event #{report.first_break} ({len(report.breaks)} break(s))")
    if problems:
        raise BackupError("restore verification failed:\n  " + "\n  ".join(problems[:50]))
    return {"tables": len(counts), "rows": sum(counts.values()), "stored_reports": reports, "files": len(files),
            "audit_events": report.checked}


def _column(model, name):
    return model._meta.get_field("id" if name == "id" else name).column


# --- command line --------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="config.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a backup archive")
    make.add_argument("archive")
    check = commands.add_parser("verify", help="check an archive's signature and hashes")
    check.add_argument("archive")
    back = commands.add_parser("restore", help="restore into a new database and folder, then verify")
    back.add_argument("archive")
    back.add_argument("--database-url", required=True, help="postgres://…/NEW_DATABASE (created if missing)")
    back.add_argument("--media-root", required=True, help="the new MEDIA_ROOT (new or empty folder)")
    options = parser.parse_args(argv)
    _setup()
    try:
        if options.command == "backup":
            manifest = backup(options.archive)
            print(f"backup written: {options.archive} ({sum(manifest['tables'].values())} rows in "
                  f"{len(manifest['tables'])} tables, {len(manifest['members']) - 1} files)")
        elif options.command == "verify":
            manifest = verify_archive(options.archive)
            print(f"archive intact: {options.archive} (snapshot {manifest['snapshot_at']})")
        else:
            result = restore(options.archive, database_url=options.database_url, media_root=options.media_root)
            print("restored and verified: " + ", ".join(f"{k} {v}" for k, v in result.items()))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
