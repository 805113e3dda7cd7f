"""idpctl: the platform team's command-line tool (validate, render, app, project)."""
