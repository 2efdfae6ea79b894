"""The rota area: setup (locations, shift types, holidays), assignments, the schedule, feeds and push."""
