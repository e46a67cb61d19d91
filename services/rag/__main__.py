from services.rag.server import main

main()
