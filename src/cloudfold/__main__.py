from cloudfold.cli.main import app

app(prog_name="cloudfold")
