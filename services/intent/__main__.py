from services.intent.server import main

main()
