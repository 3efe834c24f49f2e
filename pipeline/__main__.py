from daily_report.cli.app import main

main()
