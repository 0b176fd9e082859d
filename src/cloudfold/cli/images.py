"""`cloudfold images build|list`: cloudfold's base images, built locally from Debian packages
and imported into the container engine (no registry needed)."""

from __future__ import annotations

import typer

from cloudfold.images.rootfs import DEBIAN_MIRROR

app = typer.Typer(help="Build and list cloudfold's base images (made from Debian packages).", no_args_is_help=True)
HOST = typer.Option(None, "--docker-host", help="Engine URL (default: CLOUDFOLD_DOCKER_HOST, else auto-detected).")


def _driver(docker_host: str | None):
    from cloudfold.drivers import registry
    from cloudfold.drivers.local.driver import engine_spec
    from cloudfold.drivers.local.socket import find_engine
    from cloudfold.settings import Settings

    url = find_engine(docker_host or Settings().docker_host)
    if url is None:
        typer.echo("error: no container engine found (give --docker-host or set CLOUDFOLD_DOCKER_HOST)", err=True)
        raise typer.Exit(1)
    return registry.open_driver(engine_spec(url))


def _mb(size: int | None) -> str:
    return "-" if size is None else f"{size / 1e6:.1f} MB"


@app.command()
def build(
    debian: bool = typer.Option(False, "--debian", help="Also build cloudfold/debian:12 with debootstrap "
                                "(minutes; needs root and a reachable Debian mirror)."),
    docker_host: str | None = HOST,
    mirror: str = typer.Option(DEBIAN_MIRROR, help="The Debian mirror debootstrap downloads from."),
) -> None:
    """Build the base images into the engine, showing each one's progress."""
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from cloudfold.drivers.base import DriverError
    from cloudfold.images.builder import build as build_image, selected
    from cloudfold.images.rootfs import BuildError

    driver, failed = _driver(docker_host), 0
    columns = (SpinnerColumn(finished_text="•"), TextColumn("{task.description}"), TimeElapsedColumn())
    try:
        with Progress(*columns) as progress:
            for spec in selected(debian):
                bar = progress.add_task(spec.ref, total=1)

                def step(message: str, bar=bar, ref=spec.ref) -> None:
                    progress.update(bar, description=f"{ref}: {escape(message[:100])}")

                try:
                    image = build_image(driver, spec, step, mirror=mirror)
                except (BuildError, DriverError) as exc:
                    failed += 1
                    progress.update(bar, completed=1, description=f"{spec.ref}: [red]failed[/red]")
                    progress.console.print(f"error: {spec.ref}: {escape(str(exc))}", soft_wrap=True)
                    continue
                progress.update(bar, completed=1, description=f"{spec.ref}: built {image['id'][:19]} ({_mb(image['size'])})")
    finally:
        driver.close()
    raise typer.Exit(1 if failed else 0)


@app.command("list")
def list_images(docker_host: str | None = HOST) -> None:
    """Show which of cloudfold's images are present in the engine."""
    from rich.console import Console
    from rich.table import Table

    from cloudfold.drivers.base import DriverError
    from cloudfold.images import SPECS, normalize
    from cloudfold.images.specs import LABEL

    driver = _driver(docker_host)
    try:
        images = driver.list_images(label=LABEL)
    except DriverError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        driver.close()
    by_ref = {normalize(tag): image for image in images for tag in image["tags"]}
    table = Table()
    for column in ("image", "status", "id", "size"):
        table.add_column(column, no_wrap=True)
    table.add_column("tags", overflow="fold")
    for spec in SPECS:
        image = by_ref.get(normalize(spec.ref))
        table.add_row(spec.ref, "present" if image else "not built", image["id"][7:19] if image else "-",
                      _mb(image and image["size"]), " ".join(image["tags"]) if image else "")
    Console().print(table)
